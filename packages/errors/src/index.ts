export {
  type AbortWording,
  abortable,
  abortError,
  awaitUnlessAborted,
  isAbortOf,
  throwIfAborted,
} from './abort.js';
export { CairnError, isAbortError } from './cairn-error.js';
export { Code, codeName, httpStatusOf } from './code.js';
