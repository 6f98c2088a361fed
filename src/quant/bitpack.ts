// Packing of fixed-width codes into bytes. One rule for every width: an LSB-first bit stream,
// so 4-bit codes put the FIRST element in the LOW nibble (ONNX FLOAT4/INT4, PyTorch
// float4_e2m1fn_x2), 2-bit codes fill a byte from bit 0 upward, 6-bit codes pack 4 per 3 bytes,
// and 16/32-bit codes come out little-endian. The last byte is zero-padded.

/** Bytes needed for `count` codes of `bits` bits each. */
export function packedBytes(count: number, bits: number): number {
  return Math.ceil((count * bits) / 8);
}

/** Packs codes[i] & (2^bits − 1), LSB-first. bits ∈ 1..32. */
export function packBits(codes: ArrayLike<number>, bits: number, count = codes.length): Uint8Array {
  const out = new Uint8Array(packedBytes(count, bits));
  if (bits === 8) { for (let i = 0; i < count; i++) out[i] = codes[i]! & 0xff; return out; }
  if (bits === 16) {
    for (let i = 0; i < count; i++) { const c = codes[i]!; out[2 * i] = c & 0xff; out[2 * i + 1] = (c >>> 8) & 0xff; }
    return out;
  }
  if (bits === 32) {
    const dv = new DataView(out.buffer);
    for (let i = 0; i < count; i++) dv.setUint32(4 * i, codes[i]! >>> 0, true);
    return out;
  }
  const mask = bits === 32 ? 0xffffffff : (1 << bits) - 1;
  let bitPos = 0;
  for (let i = 0; i < count; i++) {
    let c = codes[i]! & mask;
    let left = bits;
    while (left > 0) {
      const byte = bitPos >>> 3, off = bitPos & 7;
      const take = Math.min(8 - off, left);
      out[byte]! |= (c & ((1 << take) - 1)) << off;
      c >>>= take; left -= take; bitPos += take;
    }
  }
  return out;
}

/** Inverse of packBits: `count` unsigned codes of `bits` bits. `bytes` must hold packedBytes(count, bits). */
export function unpackBits(bytes: Uint8Array, bits: number, count: number): Uint32Array {
  const need = packedBytes(count, bits);
  if (bytes.length < need) throw new Error(`unpackBits: need ${need} bytes, got ${bytes.length}`);
  const out = new Uint32Array(count);
  if (bits === 8) { for (let i = 0; i < count; i++) out[i] = bytes[i]!; return out; }
  if (bits === 16) { for (let i = 0; i < count; i++) out[i] = bytes[2 * i]! | (bytes[2 * i + 1]! << 8); return out; }
  if (bits === 32) {
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let i = 0; i < count; i++) out[i] = dv.getUint32(4 * i, true);
    return out;
  }
  let bitPos = 0;
  for (let i = 0; i < count; i++) {
    let c = 0, got = 0;
    while (got < bits) {
      const byte = bitPos >>> 3, off = bitPos & 7;
      const take = Math.min(8 - off, bits - got);
      c |= ((bytes[byte]! >>> off) & ((1 << take) - 1)) << got;
      got += take; bitPos += take;
    }
    out[i] = c >>> 0;
  }
  return out;
}
