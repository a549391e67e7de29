# SPDX-License-Identifier: MIT
# cmake -DDOC=<file.md> -DEXAMPLE=<source> -P check_doc_includes.cmake
# A documentation page must show its example file verbatim: the file is what the tests build and
# run, so the page cannot drift from working code. (After editing the example, paste it again.)
file(READ "${DOC}" doc)
file(READ "${EXAMPLE}" example)
string(FIND "${doc}" "${example}" at)
if(at EQUAL -1)
  message(FATAL_ERROR "${DOC} does not contain ${EXAMPLE} verbatim")
endif()
