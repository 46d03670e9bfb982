/**
 * Stands in for the warehouse service the inventory tools call. A real tool reads its service or `ctx.db`, always
 * for `ctx.tenant`; a write passes `ctx.effectId` on as its idempotency key, as `reserve` does here.
 */
export interface Reservation {
  reservation_id: string;
  tenant: string;
  sku: string;
  quantity: number;
}

const stock = new Map<string, number>([
  ["acme:mug-blue", 3],
  ["acme:mug-red", 0],
]);
const reservations = new Map<string, Reservation>();

export const warehouse = {
  unitsOf(tenant: string, sku: string): number | undefined {
    return stock.get(`${tenant}:${sku}`);
  },
  /** Idempotent on `key`: a retried request with the same key gets the first reservation back. */
  reserve(key: string, tenant: string, sku: string, quantity: number): Reservation {
    const existing = reservations.get(key);
    if (existing) return existing;
    const reservation = { reservation_id: `res_${reservations.size + 1}`, tenant, sku, quantity };
    reservations.set(key, reservation);
    stock.set(`${tenant}:${sku}`, (stock.get(`${tenant}:${sku}`) ?? 0) - quantity);
    return reservation;
  },
  reservations: (): Reservation[] => [...reservations.values()],
};
