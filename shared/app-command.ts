import { z } from 'zod';

/** What the desktop app's menu, notifications and opened files ask the page to show. */
export const AppCommand = z.discriminatedUnion('type', [
  /** File ▸ New Run…: the new-run form. */
  z.object({ type: z.literal('new-run') }),
  /** Run ▸ Start Run: start the form's run (showing the form first, with any errors next to its fields). */
  z.object({ type: z.literal('start-run') }),
  /** A notification clicked, or a run archive opened: that run's page. */
  z.object({ type: z.literal('open-run'), runId: z.string().min(1).max(200) }),
]);
export type AppCommand = z.infer<typeof AppCommand>;
