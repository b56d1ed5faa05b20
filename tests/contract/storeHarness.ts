// What a contract suite needs from each implementation under test: a fresh, empty store and a way to
// remove what the test left behind.
export interface StoreUnderTest<S> {
  store: S;
  cleanup(): Promise<void>;
}

export type MakeStore<S> = () => Promise<StoreUnderTest<S>>;

/** Fixed instants: the contract never depends on the machine's clock. */
export function at(iso: string): Date {
  return new Date(iso);
}

export function minutesAfter(date: Date, minutes: number): Date {
  return new Date(date.getTime() + minutes * 60_000);
}
