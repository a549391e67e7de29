/* SPDX-License-Identifier: MIT */
#ifndef WECHAT_EXPORT_H_
#define WECHAT_EXPORT_H_

/* @file
 * WECHAT_API marks what libwechat exports. The library is built with hidden visibility
 * (-fvisibility=hidden -fvisibility-inlines-hidden), so everything else in it, including the
 * protobuf, Asio and SQLite code it is made of, stays private to the shared object.
 *
 * WECHAT_STATIC is defined (by the CMake package and wechat.pc) when libwechat is a static
 * library; WECHAT_BUILDING_LIBRARY only while the library itself is compiled. Both matter only
 * on Windows, where a DLL's interface needs dllexport/dllimport. Plain C: c.h includes this. */

#if defined(WECHAT_STATIC)
#define WECHAT_API
#elif defined(_WIN32) || defined(__CYGWIN__)
#if defined(WECHAT_BUILDING_LIBRARY)
#define WECHAT_API __declspec(dllexport)
#else
#define WECHAT_API __declspec(dllimport)
#endif
#elif (defined(__GNUC__) || defined(__clang__)) && defined(__cplusplus)
/* The standard spelling, so it can sit next to [[nodiscard]] (`class WECHAT_API [[nodiscard]]`
 * does not parse with the GNU one). */
#define WECHAT_API [[gnu::visibility("default")]]
#elif defined(__GNUC__) || defined(__clang__)
#define WECHAT_API __attribute__((visibility("default")))
#else
#define WECHAT_API
#endif

#endif /* WECHAT_EXPORT_H_ */
