// The run settings as a link's hash (`#variant=selu-lecun&depth=10&epochs=3`): the form's
// values by field id, those that differ from a base (the preset's and the form's starting
// values) and those always kept (the variant, the run length). What is valid is not decided
// here: the form reads the values as it reads its own fields, and the worker checks the
// resulting run with the crate's rules.

/** The hash for `values` (field id → text or boolean): the ones unlike `base`, and `always`. */
export function settingsHash(values, base, always) {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(values)) {
    if (always.includes(key) || String(value) !== String(base[key])) params.set(key, String(value));
  }
  return `#${params}`;
}

/** The `[key, text]` pairs of a hash written by `settingsHash` (or by hand); none for an anchor (`#runs`). */
export function linkEntries(hash) {
  const text = hash.replace(/^#/, '');
  return text.includes('=') ? [...new URLSearchParams(text)] : [];
}
