/** The one IPC channel the API travels on, in both directions. */
export const API_CHANNEL = 'hpc-studio:api';

/** The native folder picker, asked for by the renderer's "Browse…" button (invoke/handle). */
export const CHOOSE_FOLDER_CHANNEL = 'hpc-studio:choose-folder';
