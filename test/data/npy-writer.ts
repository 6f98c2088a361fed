// A minimal .npy writer for tests (format 1.0, C order), so no test needs numpy.
export function npyBytes(descr: string, shape: readonly number[], data: ArrayBufferView, opts: { fortran?: boolean; version?: 1 | 2 } = {}): Uint8Array {
  const v = opts.version ?? 1;
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': ${opts.fortran ? 'True' : 'False'}, 'shape': ${shapeText}, }`;
  const pre = 8 + (v === 1 ? 2 : 4);
  const pad = 64 - ((pre + header.length + 1) % 64);
  header = header + ' '.repeat(pad % 64) + '\n';
  const out = new Uint8Array(pre + header.length + data.byteLength);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, v, 0]);
  const dv = new DataView(out.buffer);
  if (v === 1) dv.setUint16(8, header.length, true); else dv.setUint32(8, header.length, true);
  out.set(new TextEncoder().encode(header), pre);
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), pre + header.length);
  return out;
}
