// Where the local cloud (src/emulator) listens by default; each platform's accounts there are in its
// folder (src/lib/platforms/<id>/local.ts).

export const LOCAL_CLOUD_PORT = 8787;
