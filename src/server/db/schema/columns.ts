// Columns every table spells the same way.
import { customType, timestamp } from 'drizzle-orm/pg-core';

export const createdAt = () => timestamp('created_at', { withTimezone: true }).notNull().defaultNow();
export const updatedAt = () => timestamp('updated_at', { withTimezone: true }).notNull().defaultNow();

/** A bytea as the drivers give it (bytes, or PostgreSQL's hex text `\x…`), as a Buffer over the same memory. */
export const byteaBuffer = (value: Buffer | Uint8Array | string): Buffer =>
  typeof value === 'string' ? Buffer.from(value.replace(/^\\x/, ''), 'hex') : Buffer.from(value.buffer, value.byteOffset, value.byteLength);

export const bytea = customType<{ data: Buffer; driverData: Buffer | Uint8Array | string }>({ dataType: () => 'bytea', fromDriver: byteaBuffer });
