/** The time source every command and worker reads, passed explicitly so that tests can swap it. */
export interface Clock {
  nowMs(): number;
}

export const systemClock: Clock = { nowMs: () => Date.now() };
