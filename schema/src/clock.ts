/** The time the services go by; tests pass a clock they move by hand. */
export interface Clock {
  /** Epoch ms. */
  now(): number;
}
