import { badInput } from './errors.js';

/** Limits the service functions enforce. */
export interface Limits {
  maxBuckets: number;
  maxCores: number;
  maxStringLength: number;
  /** How far in the future a window may end, ms. */
  maxFutureSkew: number;
  /**
   * Whether alert webhooks may point at loopback, private and other non-public addresses
   * (`WEBHOOK_ALLOW_PRIVATE`). @default false
   */
  allowPrivateWebhooks: boolean;
}

export const defaultLimits: Limits = {
  maxBuckets: 10_000,
  maxCores: 1_024,
  maxStringLength: 256,
  maxFutureSkew: 86_400_000,
  allowPrivateWebhooks: false,
};

/**
 * Checks an id or name the caller sends: at most `max` characters, no control characters, and when
 * `required` present and not empty. Throws `BAD_USER_INPUT` naming `field`.
 */
export function checkString(
  value: string | null | undefined,
  field: string,
  max: number,
  required: boolean,
): void {
  if (value == null) {
    if (required) throw badInput(field, 'field is required');
    return;
  }
  if (required && value.length === 0) throw badInput(field, 'must not be empty');
  if (value.length > max)
    throw badInput(field, `is ${value.length} characters long, more than the ${max} allowed`);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
  if (/[\u0000-\u001f\u007f]/.test(value)) throw badInput(field, 'must not contain control characters');
}
