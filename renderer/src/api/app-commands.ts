import { AppCommand } from '../../../shared/app-command.js';

/**
 * The desktop app's menu and notifications, as commands checked against their schema; a command
 * that fails the check is reported, not obeyed. In a browser (`serve`) none ever come.
 */
export function onAppCommand(listener: (command: AppCommand) => void, onInvalid: (why: string) => void): () => void {
  const bridge = (window as { hpcStudio?: { onAppCommand?: (l: (c: unknown) => void) => () => void } }).hpcStudio;
  if (typeof bridge?.onAppCommand !== 'function') return () => {};
  return bridge.onAppCommand((raw) => {
    const parsed = AppCommand.safeParse(raw);
    if (parsed.success) listener(parsed.data);
    else onInvalid(`ignored an app command that fails its schema: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  });
}
