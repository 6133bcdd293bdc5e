// What every platform tells the browser and the server about itself (src/lib/platforms/<id>): its name
// and mark, the credentials a person pastes, what the deploy modal shows, and whether quick deploy
// is offered. Browser-safe: no secrets, no server code.
import type { ComponentType } from 'react';
import type { z } from 'zod';

/** One field of the "connect your account" form. */
export interface ConnectionField {
  name: string;
  label: string;
  hint?: string;
  secret?: boolean;
  mono?: boolean;
  optional?: boolean;
  placeholder?: string;
  /** The value the empty form starts with ('' unless said). */
  initial?: string;
  options?: readonly { value: string; label: string }[];
  /** Shown only when this holds for the form's values (a field another one calls for). */
  when?: (values: Record<string, string>) => boolean;
}

/** A line of a connected account's card. */
export interface AccountRow {
  label: string;
  value: string;
  mono?: boolean;
}

/** A connected account as the card and the confirmations describe it: the platform's facts and the masked secret. */
export interface ConnectedAccount {
  accountFacts: Record<string, string>;
  secretHint: string;
}

export interface PlatformInfo<Id extends string = string> {
  id: Id;
  /** The platform's name as people know it. */
  label: string;
  /** The mark drawn beside the name: paths in a 16×16 box. */
  mark: readonly { d: string; fill?: string; className?: string; evenOdd?: boolean }[];
  /** What a person pastes to connect an account; `platform` is the discriminator. */
  connectionInput: z.ZodType<{ platform: Id }>;
  fields: readonly ConnectionField[];
  /** The field whose last characters identify the credential in the masked hint. */
  hintField: string;
  /** What the stored secret is called ("API token", "access keys"). */
  secretName: string;
  /** The steps its adapter reports, in order, with what the deploy modal calls them; `queued` first. */
  steps: readonly { id: string; label: string }[];
  /** Quick deploy into the product's shared account: its default quota of live sites, or null when it is not offered. */
  quickDeploy: { defaultQuota: number } | null;
  accountRows(account: ConnectedAccount): AccountRow[];
  /** How a person recognises the account in a confirmation (“the … account “Ada””). */
  accountName(account: ConnectedAccount): string;
  /** What a screen reader hears once the account is connected. */
  connectedMessage(facts: Record<string, string>): string;
  /** The variables that point a production-mode server (the browser tests) at the local cloud: its API, and the shared account when quick deploy is offered. */
  localCloudEnv?(cloudUrl: string, cloudPort: number): Record<string, string>;
  /** Where to make the credentials and which permissions they need. */
  help: ComponentType;
}
