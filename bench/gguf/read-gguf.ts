/**
 * Reads the metadata section of a GGUF file (ggml docs/gguf.md, v2/v3): magic "GGUF",
 * version u32, tensor_count u64, kv_count u64, then kv_count entries of
 * key (u64 length + UTF-8) · value type u32 · value. Each entry is returned with its raw
 * encoded bytes, so a writer can copy entries (the tokenizer) byte for byte.
 */
import { readFileSync } from 'node:fs';

/** GGUF value types (gguf.md, "gguf_metadata_value_type"). */
export const GGUF_TYPE = {
  uint8: 0,
  int8: 1,
  uint16: 2,
  int16: 3,
  uint32: 4,
  int32: 5,
  float32: 6,
  bool: 7,
  string: 8,
  array: 9,
  uint64: 10,
  int64: 11,
  float64: 12,
} as const;

const SCALAR_BYTES: Record<number, number> = {
  0: 1,
  1: 1,
  2: 2,
  3: 2,
  4: 4,
  5: 4,
  6: 4,
  7: 1,
  10: 8,
  11: 8,
  12: 8,
};

export interface GgufEntry {
  key: string;
  type: number;
  /** The whole encoded entry (key, type, value), ready to be written again. */
  raw: Buffer;
  /** Decoded value for scalars and strings; undefined for arrays. */
  value: string | number | bigint | boolean | undefined;
}

export interface GgufMetadata {
  version: number;
  tensorCount: number;
  entries: GgufEntry[];
}

/** Parses the header and metadata of the GGUF file at `path`. */
export function readGgufMetadata(path: string): GgufMetadata {
  const file = readFileSync(path);
  if (file.toString('latin1', 0, 4) !== 'GGUF') throw new Error(`${path} is not a GGUF file`);
  const version = file.readUInt32LE(4);
  if (version !== 2 && version !== 3) throw new Error(`GGUF version ${version} is not supported`);
  const tensorCount = Number(file.readBigUInt64LE(8));
  const kvCount = Number(file.readBigUInt64LE(16));
  let offset = 24;

  const readString = (): string => {
    const length = Number(file.readBigUInt64LE(offset));
    const text = file.toString('utf8', offset + 8, offset + 8 + length);
    offset += 8 + length;
    return text;
  };
  const readValue = (type: number): GgufEntry['value'] => {
    if (type === GGUF_TYPE.string) return readString();
    if (type === GGUF_TYPE.array) {
      const itemType = file.readUInt32LE(offset);
      const count = Number(file.readBigUInt64LE(offset + 4));
      offset += 12;
      for (let i = 0; i < count; i++) readValue(itemType);
      return undefined;
    }
    const size = SCALAR_BYTES[type];
    if (size === undefined) throw new Error(`unknown GGUF value type ${type}`);
    const at = offset;
    offset += size;
    switch (type) {
      case GGUF_TYPE.uint32:
        return file.readUInt32LE(at);
      case GGUF_TYPE.int32:
        return file.readInt32LE(at);
      case GGUF_TYPE.float32:
        return file.readFloatLE(at);
      case GGUF_TYPE.bool:
        return file[at] !== 0;
      case GGUF_TYPE.uint64:
        return file.readBigUInt64LE(at);
      default:
        return undefined;
    }
  };

  const entries: GgufEntry[] = [];
  for (let i = 0; i < kvCount; i++) {
    const start = offset;
    const key = readString();
    const type = file.readUInt32LE(offset);
    offset += 4;
    const value = readValue(type);
    entries.push({ key, type, raw: Buffer.from(file.subarray(start, offset)), value });
  }
  return { version, tensorCount, entries };
}
