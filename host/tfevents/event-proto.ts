/**
 * TensorFlow's `Event` protobuf, hand-encoded (tensorflow/core/util/event.proto):
 *   Event   { double wall_time = 1; int64 step = 2; string file_version = 3; Summary summary = 5; }
 *   Summary { repeated Value value = 1; }
 *   Value   { string tag = 1; float simple_value = 2; }
 */

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_LENGTH = 2;
const WIRE_FIXED32 = 5;

export interface ScalarValue {
  tag: string;
  value: number;
}

export type EventContent = { fileVersion: string } | { values: readonly ScalarValue[] };

export function encodeEvent(wallTimeSec: number, step: number, content: EventContent): Buffer {
  const parts = [key(1, WIRE_FIXED64), float64(wallTimeSec), key(2, WIRE_VARINT), varint(BigInt.asUintN(64, BigInt(step)))];
  if ('fileVersion' in content) parts.push(lengthDelimited(3, Buffer.from(content.fileVersion, 'utf8')));
  else parts.push(lengthDelimited(5, Buffer.concat(content.values.map((v) => lengthDelimited(1, encodeValue(v))))));
  return Buffer.concat(parts);
}

function encodeValue({ tag, value }: ScalarValue): Buffer {
  return Buffer.concat([lengthDelimited(1, Buffer.from(tag, 'utf8')), key(2, WIRE_FIXED32), float32(value)]);
}

function key(field: number, wire: number): Buffer {
  return varint(BigInt((field << 3) | wire));
}

function varint(value: bigint): Buffer {
  const bytes: number[] = [];
  do {
    let byte = Number(value & 0x7fn);
    value >>= 7n;
    if (value > 0n) byte |= 0x80;
    bytes.push(byte);
  } while (value > 0n);
  return Buffer.from(bytes);
}

function lengthDelimited(field: number, data: Buffer): Buffer {
  return Buffer.concat([key(field, WIRE_LENGTH), varint(BigInt(data.length)), data]);
}

function float64(value: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeDoubleLE(value);
  return b;
}

function float32(value: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeFloatLE(value);
  return b;
}
