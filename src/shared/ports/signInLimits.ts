// What the sign-in flow keeps across instances: single-use flows and abuse limits.

/** Sign-in flows already answered at the callback (DESIGN §3: a flow is single-use). */
export interface UsedFlows {
  /**
   * Marks the flow used; false, writing nothing, when it was marked before. `expiresAt` is when the flow's
   * cookie dies: after it the mark may be dropped (the cookie check refuses the flow anyway).
   */
  markUsed(flowId: string, expiresAt: Date, now: Date): Promise<boolean>;
}

export type AttemptDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

/** Counters of attempts per bucket in fixed time windows, shared by every instance (abuse limits). */
export interface AttemptLimiter {
  /** Counts one attempt in `bucket`'s current window unless `limit` attempts were counted there already. */
  take(bucket: string, limit: number, windowMs: number, now: Date): Promise<AttemptDecision>;
}
