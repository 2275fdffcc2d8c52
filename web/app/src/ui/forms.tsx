/** Form pieces every page uses: a labelled field and an error line. */

import type { ComponentChildren, JSX } from "preact";
import { useState } from "preact/hooks";
import { errorText } from "../api.js";

export function Field(props: { label: string; hint?: string; children: ComponentChildren }) {
  return (
    <label class="field">
      <span class="field-label">{props.label}</span>
      {props.children}
      {props.hint && <span class="field-hint">{props.hint}</span>}
    </label>
  );
}

export function ErrorLine(props: { error: unknown }) {
  if (!props.error) return null;
  return (
    <p class="error" role="alert">
      {errorText(props.error)}
    </p>
  );
}

/** Runs `action` for a form's submit: busy while it runs, its error kept to show. */
export function useSubmit(action: () => Promise<void>): { busy: boolean; error: unknown; onSubmit: (e: JSX.TargetedEvent<HTMLFormElement>) => void; setError: (e: unknown) => void } {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(undefined);
  return {
    busy,
    error,
    setError,
    onSubmit: (e) => {
      e.preventDefault();
      if (busy) return;
      setBusy(true);
      setError(undefined);
      action().then(
        () => setBusy(false),
        (err: unknown) => {
          setBusy(false);
          setError(err);
        },
      );
    },
  };
}

/** Text of an `<input>`'s event. */
export function valueOf(e: Event): string {
  return (e.currentTarget as HTMLInputElement).value;
}

/**
 * `ref={focusOnMount}`: focuses the element when it appears. (The
 * `autofocus` attribute works only once per page load, so an inline editor
 * opened later would not get the focus.)
 */
export function focusOnMount(el: HTMLElement | null): void {
  el?.focus();
}

/**
 * An inline editor for a name (a board's, a column's): Enter or Save
 * keeps a changed, non-empty name; Escape or Cancel closes it unchanged.
 */
export function InlineRename(props: { label: string; value: string; maxLength: number; onSave: (name: string) => void; onClose: () => void }) {
  const [name, setName] = useState(props.value);
  return (
    <form
      class="inline-form"
      onSubmit={(e) => {
        e.preventDefault();
        props.onClose();
        const trimmed = name.trim();
        if (trimmed && trimmed !== props.value) props.onSave(trimmed);
      }}
    >
      <label>
        <span class="visually-hidden">{props.label}</span>
        <input value={name} maxLength={props.maxLength} required ref={focusOnMount} onInput={(e) => setName(valueOf(e))} onKeyDown={(e) => e.key === "Escape" && props.onClose()} />
      </label>
      <button type="submit">Save</button>
      <button type="button" class="link" onClick={props.onClose}>
        Cancel
      </button>
    </form>
  );
}
