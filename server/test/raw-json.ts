/**
 * JSON with tokens that `JSON.stringify` cannot write (`1e999`, `NaN`, deep nesting): `raw('1e999')` stands
 * as a value, and `stringify` splices the token in verbatim.
 */
export const raw = (token: string) => `@@raw:${token}@@`;
export const stringify = (value: unknown) => JSON.stringify(value).replace(/"@@raw:([^@]*)@@"/g, '$1');
