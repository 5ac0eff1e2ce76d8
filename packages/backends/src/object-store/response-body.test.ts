import { CairnError, Code } from '@cairn/errors';
import { describe, expect, it } from 'vitest';
import { fromS3Error } from '../aws-s3/errors.js';
import { fromAzureError } from '../azure-blob/errors.js';
import { streamBody } from './response-body.js';

/** A response body that yields one chunk and then fails as the Azure SDK's does when its socket closes. */
async function* droppedBody(): AsyncGenerator<Uint8Array> {
  yield new Uint8Array(8);
  throw new DOMException('The operation was aborted.', 'AbortError');
}

async function failureOf(body: AsyncIterable<Uint8Array>): Promise<CairnError> {
  try {
    for await (const _ of body) {
      // drain
    }
  } catch (error) {
    if (error instanceof CairnError) return error;
    throw error;
  }
  throw new Error('the body ended without an error');
}

describe('streamBody', () => {
  it('reports a body aborted by a dropped connection as the server being unreachable, not a cancel', async () => {
    const signal = new AbortController().signal;
    const azure = await failureOf(
      streamBody(droppedBody(), signal, (error) =>
        fromAzureError(error, { container: 'c', endpoint: 'http://127.0.0.1:10000/devstoreaccount1' }),
      ),
    );
    expect(azure).toMatchObject({ code: Code.Unavailable, details: { reason: 'endpoint_unreachable' } });
    const s3 = await failureOf(
      streamBody(droppedBody(), signal, (error) =>
        fromS3Error(error, { bucket: 'b', endpoint: 'http://127.0.0.1:8080' }),
      ),
    );
    expect(s3).toMatchObject({ code: Code.Unavailable, details: { reason: 'endpoint_unreachable' } });
  });

  it('still reports the caller’s own cancel as CANCELED', async () => {
    const controller = new AbortController();
    const body = streamBody(droppedBody(), controller.signal, (error) =>
      fromAzureError(error, { container: 'c', endpoint: 'http://127.0.0.1:10000/devstoreaccount1' }),
    );
    const first = await body.next();
    expect(first.done).toBe(false);
    controller.abort();
    await expect(body.next()).rejects.toMatchObject({ code: Code.Canceled });
  });
});
