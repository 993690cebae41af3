// Which measurement each selfnorm figure is compared with: its peer on the same hardware in the
// same run. Shared by the bench page and scripts/bench-table.mjs (plain ES module, no DOM).

/** selfnorm (where, backend) → its peer (system, backend), and the target ratio from issue 5. */
export const PEERS = [
  { where: 'browser', backend: 'webgpu', peer: { system: 'tfjs', backend: 'webgpu' }, target: 2 },
  { where: 'browser', backend: 'cpu', peer: { system: 'tfjs', backend: 'wasm' }, target: 1.5 },
  { where: 'native', backend: 'cpu', peer: { system: 'pytorch', backend: 'cpu' }, target: 1 },
];

const isRow = (r) => r && r.system && Number.isFinite(r.train_samples_per_s);
/** selfnorm's rows: its default (fused where it applies) and its generic step, the reference. */
export const isSelfnorm = (system) => system === 'selfnorm' || system === 'selfnorm-generic';

/** The peer rule for a selfnorm row, or null. */
export function peerRule(row) {
  if (!isSelfnorm(row.system)) return null;
  return PEERS.find((p) => p.where === (row.where ?? 'browser') && p.backend === row.backend) ?? null;
}

/** The peer's row for `row` among `rows` (same variant and batch), or null. */
export function peerOf(row, rows) {
  const rule = peerRule(row);
  if (!rule) return null;
  return rows.find((r) => isRow(r) && r.system === rule.peer.system && r.backend === rule.peer.backend
    && r.variant === row.variant && r.batch === row.batch) ?? null;
}

/** Every selfnorm row with its ratios to its peer (`null` where the peer was not measured). */
export function ratios(rows) {
  return rows.filter((r) => isRow(r) && isSelfnorm(r.system)).map((row) => {
    const rule = peerRule(row);
    const peer = peerOf(row, rows);
    const ratio = (key) => (peer && peer[key] > 0 ? row[key] / peer[key] : null);
    return {
      row,
      peer,
      peerName: rule ? `${rule.peer.system} ${rule.peer.backend}` : null,
      // The targets are for what the page runs; the generic step is shown for comparison.
      target: row.system === 'selfnorm' ? rule?.target ?? null : null,
      train: ratio('train_samples_per_s'),
      infer: ratio('infer_samples_per_s'),
    };
  });
}
