/* textfmt.h - the whole text trace format v1 (docs/trace-format.md): the
 * field table and the writer (writer.h), which the library links, and the
 * reader (reader.h), which the tools link. */
#ifndef LL_TRACE_TEXTFMT_H
#define LL_TRACE_TEXTFMT_H

#include "reader.h"
#include "writer.h"

#endif
