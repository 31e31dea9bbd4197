import { onScopeDispose, ref } from 'vue';

/** Follows the system's light/dark preference live. */
export function usePrefersDark() {
  const query = window.matchMedia('(prefers-color-scheme: dark)');
  const dark = ref(query.matches);
  const update = (e: MediaQueryListEvent) => (dark.value = e.matches);
  query.addEventListener('change', update);
  onScopeDispose(() => query.removeEventListener('change', update));
  return dark;
}
