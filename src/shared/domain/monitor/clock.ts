/** The only source of "now" in the monitor's domain, injected so tests can walk time day by day. */
export interface Clock {
  now(): Date;
}
