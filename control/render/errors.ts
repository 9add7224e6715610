// The one error render throws: a message that names the problem and the fix, safe to show an operator as is.

export class RenderError extends Error {
  override name = 'RenderError';
}
