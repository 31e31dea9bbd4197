/** Which step numbers a client received, to show that none was missed, repeated or reordered. */
export class StepTally {
  private readonly steps: number[] = [];

  add(step: number): void {
    this.steps.push(step);
  }

  get count(): number {
    return this.steps.length;
  }

  report(): { received: number; first: number | null; last: number | null; contiguous: boolean; gaps: string[] } {
    const gaps: string[] = [];
    for (let i = 1; i < this.steps.length; i++) {
      const [before, after] = [this.steps[i - 1]!, this.steps[i]!];
      if (after !== before + 1) gaps.push(`${before} → ${after}`);
    }
    return {
      received: this.steps.length,
      first: this.steps[0] ?? null,
      last: this.steps.at(-1) ?? null,
      contiguous: this.steps.length > 0 && this.steps[0] === 1 && gaps.length === 0,
      gaps,
    };
  }
}
