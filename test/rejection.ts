/**
 * What a promise rejected with, for tests that look at a connector's error more than once (its
 * message, and that no secret is in it). Fails the test when the promise resolves.
 */
export async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error));
  }
  throw new Error('expected a rejection');
}

export async function rejectionMessage(promise: Promise<unknown>): Promise<string> {
  return (await rejection(promise)).message;
}
