import { describe, expect, it } from 'vitest';
import { crc32c, maskedCrc32c } from '../../host/tfevents/crc32c.js';
import { encodeEvent } from '../../host/tfevents/event-proto.js';
import { tfrecord } from '../../host/tfevents/tfrecord.js';

describe('CRC-32C (Castagnoli)', () => {
  it('matches the standard check value and RFC 3720 vectors', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
    expect(crc32c(new Uint8Array(0))).toBe(0);
    expect(crc32c(new Uint8Array(32))).toBe(0x8a9136aa);
    expect(crc32c(new Uint8Array(32).fill(0xff))).toBe(0x62a8ab43);
    expect(crc32c(Uint8Array.from({ length: 32 }, (_, i) => i))).toBe(0x46dd794e);
  });

  it('masks as TFRecord does: rotate right by 15, add 0xa282ead8', () => {
    const crc = crc32c(Buffer.from('123456789'));
    expect(maskedCrc32c(Buffer.from('123456789'))).toBe((((crc >>> 15) | (crc << 17)) + 0xa282ead8) >>> 0);
  });
});

describe('TFRecord framing and the Event message', () => {
  it('frames data with its length and both masked CRCs', () => {
    const data = Buffer.from('hello');
    const record = tfrecord(data);
    expect(record.length).toBe(8 + 4 + 5 + 4);
    expect(record.readBigUInt64LE(0)).toBe(5n);
    expect(record.readUInt32LE(8)).toBe(maskedCrc32c(record.subarray(0, 8)));
    expect(record.subarray(12, 17).toString()).toBe('hello');
    expect(record.readUInt32LE(17)).toBe(maskedCrc32c(data));
  });

  it('encodes wall_time, step, file_version and a scalar value with protobuf wire types', () => {
    const version = encodeEvent(1.5, 0, { fileVersion: 'brain.Event:2' });
    expect(version[0]).toBe(0x09);
    expect(version.readDoubleLE(1)).toBe(1.5);
    expect([...version.subarray(9, 11)]).toEqual([0x10, 0x00]);
    expect([...version.subarray(11, 13)]).toEqual([0x1a, 13]);
    expect(version.subarray(13).toString()).toBe('brain.Event:2');

    const scalar = encodeEvent(2, 300, { values: [{ tag: 'lr', value: 0.25 }] });
    // step 300 as a varint: 0xac 0x02; summary (field 5) holds value (field 1) = { tag 'lr', simple_value 0.25f }
    expect([...scalar.subarray(9, 12)]).toEqual([0x10, 0xac, 0x02]);
    expect([...scalar.subarray(12, 18)]).toEqual([0x2a, 11, 0x0a, 9, 0x0a, 2]);
    expect(scalar.subarray(18, 20).toString()).toBe('lr');
    expect(scalar[20]).toBe(0x15);
    expect(scalar.readFloatLE(21)).toBe(0.25);
  });
});
