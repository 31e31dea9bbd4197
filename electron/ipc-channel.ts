/** The one IPC channel the API travels on, in both directions. */
export const API_CHANNEL = 'hpc-studio:api';
