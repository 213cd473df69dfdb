import { Notification } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';

/** What a command runs its server calls through: the result, or undefined after telling the
 * user that `what` failed, with the server's message. */
export type Attempt = <T>(
  what: string,
  action: () => Promise<T>
) => Promise<T | undefined>;

/** An `Attempt` telling failures in `trans`'s language. */
export function attemptWith(trans: TranslationBundle): Attempt {
  return async function attempt<T>(
    what: string,
    action: () => Promise<T>
  ): Promise<T | undefined> {
    try {
      return await action();
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      Notification.error(trans.__('%1 failed: %2', what, message), {
        autoClose: 8000
      });
      return undefined;
    }
  };
}
