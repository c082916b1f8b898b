/**
 * Diffs never show a secret, not even its envelope: both sides are diffed as readers see them
 * ("(secret)"), and a secret whose stored value differs shows as "(secret, changed)" on the new side.
 */
import { secretFields } from '../../config/secrets';
import type { GatewayConfig } from '../../config/schema';
import { CHANGED_SECRET } from '../contract';
import type { SecretContext } from './context';
import { presentSecrets } from './view';

/** `before` and `after` as a diff may show them. */
export function diffViews(ctx: SecretContext, before: GatewayConfig, after: GatewayConfig): { before: GatewayConfig; after: GatewayConfig } {
  const shownAfter = presentSecrets(ctx, after, 'placeholder');
  if (shownAfter === after) return { before: presentSecrets(ctx, before, 'placeholder'), after };
  const stored = new Map(secretFields(before, ctx.slots).map((f) => [f.place, f.value]));
  // The copy has the same shape as `after`, so both walks visit the same fields in the same order.
  const shownFields = secretFields(shownAfter, ctx.slots);
  secretFields(after, ctx.slots).forEach((field, i) => {
    const shown = shownFields[i];
    if (shown && shown.value !== field.value && stored.get(field.place) !== field.value) shown.set(CHANGED_SECRET);
  });
  return { before: presentSecrets(ctx, before, 'placeholder'), after: shownAfter };
}
