// The browser's language tag, made safe for the Intl API. WebKit under a "C" or "POSIX" system
// locale reports navigator.language = "C", which Intl rejects with a RangeError; the chart
// library formats numbers with navigator.language when its module loads, so an invalid tag would
// stop the page before it draws anything.

export const FALLBACK_LOCALE = 'en-US';

/** Whether Intl accepts `tag` as a BCP 47 language tag. */
export function isValidLocale(tag) {
  try {
    return typeof tag === 'string' && Intl.getCanonicalLocales(tag).length === 1;
  } catch {
    return false;
  }
}

/**
 * Replaces an invalid navigator.language (and languages) with the fallback for this page, before
 * any module that formats with it loads. Returns the tag that was replaced, or null.
 */
export function pinLocale(nav = navigator) {
  const tag = nav.language;
  if (isValidLocale(tag)) return null;
  const valid = Array.from(nav.languages ?? []).filter(isValidLocale);
  Object.defineProperty(nav, 'language', { value: valid[0] ?? FALLBACK_LOCALE, configurable: true });
  Object.defineProperty(nav, 'languages', { value: Object.freeze(valid.length ? valid : [FALLBACK_LOCALE]), configurable: true });
  return tag;
}
