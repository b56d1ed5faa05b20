// UsedFlows in memory, with the Table adapter's rules: the first mark wins, expired marks are dropped.
import type { UsedFlows } from '#src/shared/ports/index.js';

export class InMemoryUsedFlows implements UsedFlows {
  private readonly marks = new Map<string, Date>();

  async markUsed(flowId: string, expiresAt: Date, now: Date): Promise<boolean> {
    await new Promise((resolve) => setImmediate(resolve));
    if (this.marks.has(flowId)) return false;
    this.marks.set(flowId, expiresAt);
    for (const [id, expiry] of this.marks) if (expiry.getTime() < now.getTime()) this.marks.delete(id);
    return true;
  }
}
