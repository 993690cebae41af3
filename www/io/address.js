// The addresses a link carries (?shards=, ?archive=, ?run=), read the same way for each.

/** `value` as an absolute http(s) URL (relative to `base`), or null when it is not one. */
export function httpAddress(value, base = location.href) {
  try {
    const url = new URL(value, base);
    return /^https?:$/.test(url.protocol) ? url : null;
  } catch {
    return null;
  }
}

/** The name of the file at `url` (its last path segment, decoded), or its host when it has none. */
export function fileNameOf(url) {
  const { pathname, host } = new URL(url);
  const last = pathname.split('/').pop();
  try {
    return decodeURIComponent(last) || host;
  } catch {
    return last;
  }
}
