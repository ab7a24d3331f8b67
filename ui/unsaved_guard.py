"""Nothing typed is lost on the way to the server: the browser side of the form's promise.

Streamlit 1.67 sends a field's value only when the field is committed (Enter or leaving the
field), and drops what it would send while the connection is down ("Cannot send rerun
backMessage when disconnected", in its console). Two ways a typed answer was lost (issue 19):

- A number typed into a field, not yet committed, when the signal dropped: Streamlit disables
  the fields while disconnected, which takes the focus away without a commit; when the
  connection came back the number was on screen, and never saved, though the dialog says
  "连接恢复后会自动保存".
- A page reloaded or closed before the server had run the change (a second on a loaded server):
  the draft was saved without it.

A third: a number left in its field while the cadre switched to another app (WeChat), and the
phone discarded the tab later. So the field is committed when the page is hidden.

So one document-level script (installed once per tab) keeps, per field, what was typed and not
yet committed, and whether a committed change's run has finished (that run saves the draft). When
the connection comes back it commits what is still uncommitted; while anything is unsaved, or the
draft-not-saved notice shows, leaving the page asks first (the browser's own "Leave site?"
question, in the browser's language). window.__surveyUnsaved() says whether anything is unsaved,
window.__surveyOwed() whether a committed change's run has not ended yet (read by tests: a run
the browser asked for shows nowhere in the page until the server starts it). Fields are the form's number and text fields; fields of an st.form (the code
entry) and passwords are not answers."""

from __future__ import annotations

SCRIPT = """<script>
if (!window.__surveyGuard) {
  window.__surveyGuard = true;
  const FIELDS = '[data-testid=stNumberInput] input, [data-testid=stTextInput] input, '
               + '[data-testid=stTextArea] textarea';
  const app = () => document.querySelector('[data-testid=stApp]');
  const runState = () => app()?.getAttribute('data-test-script-state');
  const connected = () => app()?.getAttribute('data-test-connection-state') === 'CONNECTED';
  const isField = (el) => el instanceof Element && el.matches(FIELDS) && el.type !== 'password'
      && !el.closest('[data-testid=stForm]') && el.closest('[data-testid=stMain]');
  // the widget's key names the field across re-renders (a new key: the app replaced the answers)
  const keyOf = (el) => [...(el.closest('[class*="st-key-"]')?.classList || [])]
      .find((c) => c.startsWith('st-key-'));
  // field key -> {value, committed, ran}: typed there and not yet run by the server. An entry
  // goes when a run that started after its commit ends while connected (that run saved the
  // draft, or shows the draft-not-saved notice); a commit made or in flight while the
  // connection is down is Streamlit's to drop, so it counts as not committed.
  const typed = new Map();
  const CHOICE = 'tap:';

  document.addEventListener('input', (e) => {
    const key = isField(e.target) && keyOf(e.target);
    if (key) typed.set(key, {value: e.target.value, committed: false, ran: false});
  }, true);
  // committed: sent; ran: a run started since; during: a run was going when it was sent (the
  // server may fold the change into that run: then no new run starts after it ends); endedAt:
  // when the last run ended (the entry goes once no run follows within a moment)
  const sent = () => ({committed: true, ran: false, during: runState() === 'running',
                       at: Date.now(), endedAt: 0});
  const commit = (el) => {
    const entry = typed.get(keyOf(el));
    if (entry && !entry.committed && connected()) Object.assign(entry, sent());
  };
  document.addEventListener('focusout', (e) => { if (isField(e.target)) commit(e.target); }, true);
  document.addEventListener('keydown', (e) => {
    if (isField(e.target) && e.key === 'Enter' && e.target.tagName !== 'TEXTAREA') commit(e.target);
  }, true);
  let taps = 0;  // a choice or a button is sent on the tap; nothing to type again
  document.addEventListener('change', (e) => {
    const el = e.target;
    if (el instanceof Element && el.matches('input[type=radio], input[type=checkbox]')
        && el.closest('[data-testid=stMain]') && connected()) typed.set(CHOICE + ++taps, sent());
  }, true);
  document.addEventListener('click', (e) => {  // a button always starts a run
    const button = e.target instanceof Element && e.target.closest('[data-testid=stButton] button');
    if (button && !button.disabled && button.closest('[data-testid=stMain]') && connected())
      typed.set(CHOICE + ++taps, sent());
  }, true);

  const lostWithTheConnection = () => {
    for (const [key, entry] of [...typed]) {
      if (key.startsWith(CHOICE)) typed.delete(key);  // sent again with the reconnect's run
      else entry.committed = false;
    }
  };
  // once the connection is back and its run has ended: commit what is still uncommitted
  const commitAgain = () => {
    if (!connected() || runState() === 'running') return;
    for (const [key, entry] of [...typed]) {
      if (entry.committed || key.startsWith(CHOICE)) continue;
      const el = document.querySelector(`.${CSS.escape(key)} :is(input, textarea)`);
      if (!el) { typed.delete(key); continue; }  // the app replaced the answers
      if (el.disabled || el === document.activeElement) continue;  // still being typed
      const setter = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(el), 'value').set;
      el.focus({preventScroll: true});
      setter.call(el, entry.value);
      el.dispatchEvent(new Event('input', {bubbles: true}));
      el.blur();  // commits, through the focusout above
    }
  };
  new MutationObserver((records) => {
    if (!connected()) return lostWithTheConnection();
    const states = records.filter((r) => r.attributeName === 'data-test-script-state')
        .map((r) => r.oldValue).concat([runState()]);  // the states passed through, in order
    for (let i = 1; i < states.length; i++) {
      const [before, after] = [states[i - 1], states[i]];
      for (const [key, entry] of [...typed]) {
        if (!entry.committed) continue;
        if (after === 'running') Object.assign(entry, {ran: true, endedAt: 0});
        else if (before === 'running' && (entry.ran || entry.during)) entry.endedAt = Date.now();
      }
    }
    commitAgain();
  }).observe(document.body, {attributes: true, subtree: true, attributeOldValue: true,
                             attributeFilter: ['data-test-script-state',
                                               'data-test-connection-state', 'disabled']});
  setInterval(() => {
    if (!connected()) return lostWithTheConnection();
    commitAgain();
    const now = Date.now();
    for (const [key, entry] of [...typed]) {
      if (!entry.committed || runState() === 'running') continue;
      // a run that ends with st.rerun() is followed by the next within ~50 ms; a change sent
      // during a run may have been folded into it (then no run follows)
      if (entry.endedAt && now - entry.endedAt > (entry.ran ? 300 : 600)) typed.delete(key);
      else if (now - entry.at > 60000) typed.delete(key);  // no run for a minute: stop asking
    }
  }, 200);

  // The cadre switches to WeChat with the cursor still in a field: the phone may discard the
  // tab later, so the value is committed now (Enter, as the cadre would; the field keeps its
  // focus for when they come back).
  const commitFocused = () => {
    const el = document.activeElement;
    if (!isField(el) || !typed.has(keyOf(el))) return;
    if (el.tagName === 'TEXTAREA') { el.blur(); return; }  // Enter would add a line there
    el.dispatchEvent(new KeyboardEvent('keydown', {key: 'Enter', code: 'Enter', keyCode: 13,
                                                   which: 13, bubbles: true, cancelable: true}));
  };
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'hidden') commitFocused();
  });
  window.addEventListener('pagehide', commitFocused);

  window.__surveyOwed = () => [...typed.values()].some((entry) => entry.committed);
  window.__surveyUnsaved = () => typed.size > 0 || !!document.querySelector('.st-key-draft_unsaved');
  window.addEventListener('beforeunload', (e) => {
    if (!window.__surveyUnsaved()) return;
    e.preventDefault();
    e.returnValue = '';
  });
}
</script>"""
