'use strict'

/**
 * @libsql/client's error class, same shape: `code` (machine-readable: 'SQLITE_CONSTRAINT',
 * 'URL_INVALID', ...), `extendedCode` ('SQLITE_CONSTRAINT_UNIQUE'), `rawCode` (2067), and the
 * message prefixed with the code.
 */
class LibsqlError extends Error {
  code
  extendedCode
  rawCode
  constructor(message, code, extendedCode, rawCode, cause) {
    if (code !== undefined) {
      message = `${code}: ${message}`
    }
    super(message, { cause })
    this.code = code
    this.extendedCode = extendedCode
    this.rawCode = rawCode
    this.name = 'LibsqlError'
  }
}

/** A batch's error, with the zero-based index of the statement that failed. */
class LibsqlBatchError extends LibsqlError {
  statementIndex
  constructor(message, statementIndex, code, extendedCode, rawCode, cause) {
    super(message, code, extendedCode, rawCode, cause)
    this.statementIndex = statementIndex
    this.name = 'LibsqlBatchError'
  }
}

module.exports = { LibsqlError, LibsqlBatchError }
