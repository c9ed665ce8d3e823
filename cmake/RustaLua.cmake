# rusta_lua_library(<target> NAME <library> SYMBOL <function> SOURCES <file.lua>...)
# Embeds a Redis function library into <target>: the common Lua prelude (audit chain, queue,
# idempotency helpers) followed by SOURCES, exposed as `const redis::FunctionLibrary& rusta::lua::SYMBOL()`.
set(RUSTA_LUA_PRELUDE
  ${PROJECT_SOURCE_DIR}/common/lua/audit.lua
  ${PROJECT_SOURCE_DIR}/common/lua/queue.lua
  ${PROJECT_SOURCE_DIR}/common/lua/idempotency.lua)
set(RUSTA_EMBED_LUA_SCRIPT ${CMAKE_CURRENT_LIST_DIR}/EmbedLua.cmake)

function(rusta_lua_library target)
  cmake_parse_arguments(ARG "" "NAME;SYMBOL" "SOURCES" ${ARGN})
  set(all_sources ${RUSTA_LUA_PRELUDE} ${ARG_SOURCES})
  string(REPLACE ";" "|" joined "${all_sources}")
  set(out ${CMAKE_CURRENT_BINARY_DIR}/${ARG_NAME}_lua.cc)
  add_custom_command(OUTPUT ${out}
    COMMAND ${CMAKE_COMMAND} -DOUTPUT=${out} -DNAME=${ARG_NAME} -DSYMBOL=${ARG_SYMBOL}
            -DSOURCES=${joined} -P ${RUSTA_EMBED_LUA_SCRIPT}
    DEPENDS ${all_sources} ${RUSTA_EMBED_LUA_SCRIPT}
    COMMENT "Embedding Redis function library ${ARG_NAME}"
    VERBATIM)
  target_sources(${target} PRIVATE ${out})
endfunction()
