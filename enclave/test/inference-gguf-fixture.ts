/**
 * Test fixture: a copy of a GGUF file with one extra string metadata entry (used to give the
 * template-less test model a `tokenizer.chat_template`). GGUF v2/v3 layout, per the GGUF
 * specification (ggml docs/gguf.md): magic, version u32, tensor_count u64, kv_count u64, the
 * key/value pairs, the tensor infos, padding to `general.alignment` (default 32), tensor data.
 * Tensor offsets are relative to the data section, so only kv_count and the padding change.
 */
import { readFile, writeFile } from 'node:fs/promises';

const SCALAR_BYTES: Record<number, number> = {
  0: 1, // uint8
  1: 1, // int8
  2: 2, // uint16
  3: 2, // int16
  4: 4, // uint32
  5: 4, // int32
  6: 4, // float32
  7: 1, // bool
  10: 8, // uint64
  11: 8, // int64
  12: 8, // float64
};
const TYPE_STRING = 8;
const TYPE_ARRAY = 9;

/** Writes `target`: `source` with `key` = `value` (a string) added to its metadata. */
export async function writeGgufWithString(
  source: string,
  target: string,
  key: string,
  value: string,
): Promise<void> {
  const file = await readFile(source);
  if (file.toString('latin1', 0, 4) !== 'GGUF') throw new Error('not GGUF');
  const tensorCount = Number(file.readBigUInt64LE(8));
  const kvCount = Number(file.readBigUInt64LE(16));
  let offset = 24;
  let alignment = 32;

  const readString = (): string => {
    const length = Number(file.readBigUInt64LE(offset));
    const text = file.toString('utf8', offset + 8, offset + 8 + length);
    offset += 8 + length;
    return text;
  };
  const skipValue = (type: number): void => {
    if (type === TYPE_STRING) readString();
    else if (type === TYPE_ARRAY) {
      const itemType = file.readUInt32LE(offset);
      const count = Number(file.readBigUInt64LE(offset + 4));
      offset += 12;
      for (let i = 0; i < count; i++) skipValue(itemType);
    } else {
      const size = SCALAR_BYTES[type];
      if (size === undefined) throw new Error(`unknown GGUF value type ${type}`);
      offset += size;
    }
  };

  for (let i = 0; i < kvCount; i++) {
    const name = readString();
    const type = file.readUInt32LE(offset);
    offset += 4;
    if (name === 'general.alignment' && type === 4) alignment = file.readUInt32LE(offset);
    skipValue(type);
  }
  const kvEnd = offset;
  for (let i = 0; i < tensorCount; i++) {
    readString();
    const dims = file.readUInt32LE(offset);
    offset += 4 + dims * 8 + 4 + 8; // n_dims, dims, type, offset
  }
  const infosEnd = offset;
  const dataStart = align(infosEnd, alignment);

  const keyBytes = Buffer.from(key, 'utf8');
  const valueBytes = Buffer.from(value, 'utf8');
  const entry = Buffer.alloc(8 + keyBytes.length + 4 + 8 + valueBytes.length);
  entry.writeBigUInt64LE(BigInt(keyBytes.length), 0);
  keyBytes.copy(entry, 8);
  entry.writeUInt32LE(TYPE_STRING, 8 + keyBytes.length);
  entry.writeBigUInt64LE(BigInt(valueBytes.length), 12 + keyBytes.length);
  valueBytes.copy(entry, 20 + keyBytes.length);

  const header = Buffer.from(file.subarray(0, kvEnd));
  header.writeBigUInt64LE(BigInt(kvCount + 1), 16);
  const newInfosEnd = infosEnd + entry.length;
  const padding = Buffer.alloc(align(newInfosEnd, alignment) - newInfosEnd);
  await writeFile(
    target,
    Buffer.concat([
      header,
      entry,
      file.subarray(kvEnd, infosEnd),
      padding,
      file.subarray(dataStart),
    ]),
  );
}

function align(n: number, to: number): number {
  return Math.ceil(n / to) * to;
}
