/** HTTP/2 flow-control windows the bench's tuned transports use (see ENVIRONMENT.md, "Ceilings"). */
export const CONNECTION_WINDOW = 256 * 1024 * 1024;
export const STREAM_WINDOW = 16 * 1024 * 1024;
