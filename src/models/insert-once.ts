const DUPLICATE_KEY = 11000;

/** Any model's create(); the model validates the document itself. */
type Creatable = { create(doc: Record<string, unknown>): Promise<unknown> };

/**
 * Inserts a document whose _id is its idempotency key. Resolves true when this call
 * inserted it, false when it was already there (a retry, or a concurrent twin).
 */
export async function insertOnce(model: Creatable, doc: { _id: string } & Record<string, unknown>): Promise<boolean> {
  try {
    await model.create(doc);
    return true;
  } catch (err) {
    if ((err as { code?: number }).code === DUPLICATE_KEY) return false;
    throw err;
  }
}
