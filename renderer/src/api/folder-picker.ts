/** The desktop app's native folder dialog, when the preload offers one; the browser (`serve`) has none. */
export function folderPicker(): (() => Promise<string | null>) | undefined {
  const bridge = (window as { hpcStudio?: { chooseFolder?: () => Promise<string | null> } }).hpcStudio;
  return typeof bridge?.chooseFolder === 'function' ? () => bridge.chooseFolder!() : undefined;
}
