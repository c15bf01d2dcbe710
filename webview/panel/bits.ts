/** Masks arrive bit-packed (LSB first, 1 = kept); serialization may turn the Uint8Array into an array or an object. */
export function toBytes(value: unknown): Uint8Array | undefined {
  if (value instanceof Uint8Array) return value;
  if (Array.isArray(value))
    return value.every((v) => Number.isInteger(v) && v >= 0 && v < 256) ? Uint8Array.from(value) : undefined;
  if (value && typeof value === 'object') {
    const values = Object.values(value as Record<string, unknown>);
    return values.every((v) => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v < 256)
      ? Uint8Array.from(values as number[])
      : undefined;
  }
  return undefined;
}

/** Float arrays arrive the same ways; read as the protocol reads them. */
export { floatArray as toFloats } from '../../src/protocol/validate';
