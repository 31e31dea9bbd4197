import type { Model } from '../models/model.js';
import { SLOT_NAME } from '../training-snapshot.js';
import type { NamedValues } from './pipeline-stage.js';

/**
 * A stage's optimizer slots are numbered by its own parameters; a whole checkpoint numbers them by
 * the model's. These map one to the other, so the stages' parts make one checkpoint any run can read.
 */
export function slotsToWhole(tensors: readonly NamedValues[], model: Model): NamedValues[] {
  return tensors.map((t) => {
    const m = SLOT_NAME.exec(t.name);
    return m ? { ...t, name: `slot:${m[1]}/${model.paramIndex[Number(m[2])]}` } : t;
  });
}

/** The tensors of a whole checkpoint that belong to this stage, its slots numbered by its own parameters. */
export function stagePart(tensors: readonly NamedValues[], model: Model): NamedValues[] {
  return tensors.filter((t) => ownedBy(t.name, model)).map((t) => {
    const m = SLOT_NAME.exec(t.name);
    return m ? { ...t, name: `slot:${m[1]}/${model.paramIndex.indexOf(Number(m[2]))}` } : t;
  });
}

export function ownedBy(name: string, model: Model): boolean {
  const m = SLOT_NAME.exec(name);
  return m ? model.paramIndex.includes(Number(m[2])) : model.names.includes(name);
}
