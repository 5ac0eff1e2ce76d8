import type { Readable, Writable } from 'node:stream';

/**
 * Limits how many messages grpc-js holds in JavaScript for one streaming call, on either side: the
 * CAS's handlers and the clients that stream blobs to and from it.
 *
 * Why: grpc-js's streams (server and client) are object-mode Node streams with Node's default highWaterMark of 16
 * messages. For ByteStream's ~1 MiB messages that is up to 16 MiB decoded ahead of a Write's consumer, or
 * queued behind a Read's sender, per call (and as much on a client that writes faster than the CAS stores). Buffers held that long outlive V8's young generation; every
 * ~64 MiB of such external memory then starts a full mark of the heap. Measured in `npm run bench:cas` on
 * this 2-core machine kind: ~40 full marks per 5 s and about twice the CAS's CPU per GiB, against almost
 * none with a limit of one message. Nothing is lost by holding fewer: the HTTP/2 stream window (16 MiB,
 * raised by the CAS's flow-control hook) still lets the peer send ahead, and those bytes wait in the http2 session, outside
 * the JavaScript heap, until the handler asks for the next message.
 *
 * How: `readableHighWaterMark` / `writableHighWaterMark` are read-only in Node's API, so this sets the
 * streams' own state (`_readableState.highWaterMark`, `_writableState.highWaterMark`), which Node has kept
 * under these names since streams began. It checks the result through the public getters and reports
 * `false` when a Node or grpc-js change makes it miss; the call then works with default buffering (more
 * memory and CPU, never wrong), and message-buffering.test.ts fails so the change cannot land unnoticed.
 */
export function limitMessageBuffering(stream: Readable | Writable, messages: number): boolean {
  if (!Number.isSafeInteger(messages) || messages < 1) {
    throw new RangeError(`a stream must buffer at least one message, got ${messages}`);
  }
  const states = stream as unknown as {
    _readableState?: { highWaterMark?: unknown };
    _writableState?: { highWaterMark?: unknown };
  };
  let applied = false;
  for (const state of [states._readableState, states._writableState]) {
    if (state && typeof state.highWaterMark === 'number') {
      state.highWaterMark = messages;
      applied = true;
    }
  }
  const readable = 'readableHighWaterMark' in stream ? stream.readableHighWaterMark : messages;
  const writable = 'writableHighWaterMark' in stream ? stream.writableHighWaterMark : messages;
  return applied && readable === messages && writable === messages;
}

/** Messages a ByteStream call holds beyond the one being worked on. */
export const BUFFERED_MESSAGES = 1;
