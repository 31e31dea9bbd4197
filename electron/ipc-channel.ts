/** The one IPC channel the API travels on, in both directions. */
export const API_CHANNEL = 'hpc-studio:api';

/** The native folder picker, asked for by the renderer's "Browse…" button (invoke/handle). */
export const CHOOSE_FOLDER_CHANNEL = 'hpc-studio:choose-folder';

/** The shell's menu and notifications asking the page to show something (main → renderer only). */
export const APP_COMMAND_CHANNEL = 'hpc-studio:app-command';
