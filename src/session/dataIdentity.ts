/** A dataset file's identity for its run record: SHA-256 of its bytes, read as a stream (nothing held whole). */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { DataIdentity } from '../runs/replayFormat';

export function identifyBytes(bytes: Uint8Array): DataIdentity {
  return { sha256: createHash('sha256').update(bytes).digest('hex'), bytes: bytes.byteLength };
}

/** Rejects with the reading error (a missing file, a permission) in its message. */
export function identifyFile(path: string): Promise<DataIdentity> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    let bytes = 0;
    createReadStream(path)
      .on('data', (chunk) => {
        const b = chunk as Buffer;
        bytes += b.byteLength;
        hash.update(b);
      })
      .on('error', reject)
      .on('end', () => resolve({ sha256: hash.digest('hex'), bytes }));
  });
}
