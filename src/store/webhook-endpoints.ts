import { randomBytes } from "node:crypto";
import type { Queryable } from "./db.js";

/** A tenant's webhook settings: the default URL of its runs (optional) and the secret its deliveries are signed with. */
export interface WebhookEndpointRow {
  tenant_id: string;
  url: string | null;
  secret: string;
  updated_by: string;
  updated_at: Date;
}

const newSecret = () => `whsec_${randomBytes(32).toString("base64url")}`;

export async function getWebhookEndpoint(db: Queryable, tenant: string): Promise<WebhookEndpointRow | undefined> {
  const { rows } = await db.query<WebhookEndpointRow>("SELECT * FROM webhook_endpoints WHERE tenant_id = $1", [tenant]);
  return rows[0];
}

/** The tenant's signing secret, created on first use (a run that names its own URL needs one too). */
export async function ensureWebhookSecret(db: Queryable, tenant: string, by: string): Promise<void> {
  await db.query("INSERT INTO webhook_endpoints (tenant_id, secret, updated_by) VALUES ($1, $2, $3) ON CONFLICT (tenant_id) DO NOTHING", [tenant, newSecret(), by]);
}

/** Sets (or clears, with null) the default URL; `rotate` replaces the secret (deliveries queued later use the new one). */
export async function setWebhookEndpoint(db: Queryable, tenant: string, change: { url: string | null; rotate: boolean; by: string }): Promise<WebhookEndpointRow> {
  const { rows } = await db.query<WebhookEndpointRow>(
    `INSERT INTO webhook_endpoints (tenant_id, url, secret, updated_by) VALUES ($1, $2, $3, $4)
     ON CONFLICT (tenant_id) DO UPDATE SET url = EXCLUDED.url, updated_by = EXCLUDED.updated_by, updated_at = now(),
       secret = CASE WHEN $5::boolean THEN EXCLUDED.secret ELSE webhook_endpoints.secret END
     RETURNING *`,
    [tenant, change.url, newSecret(), change.by, change.rotate],
  );
  return rows[0]!;
}
