import type { z } from 'zod';

/** A rejected input, named by the field it concerns so a UI can show it next to that field. */
export interface FieldError {
  field: string;
  message: string;
}

/**
 * Turns schema issues into field errors whose messages name the field and what it accepts.
 * `within` drops a wrapping object's name, so `config.lr` reads as the form's `lr`.
 */
export function fieldErrors(error: z.ZodError, within?: string): FieldError[] {
  return error.issues.map((issue) => {
    const path = issue.path.map(String);
    if (within !== undefined && path[0] === within) path.shift();
    const field = path.length > 0 ? path.join('.') : '(input)';
    return { field, message: `${field}: ${issue.message}` };
  });
}
