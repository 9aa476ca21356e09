// Small helpers over cpp-httplib's Client shared by the shell's HTTP backend
// and online `meridian import`: parsing the --url, building a client with
// the API key, and turning an HTTP answer into Result<Json> (an API error
// body becomes a Status carrying its reason). httplib exceptions stop here.
// A Client is not thread-safe: one per thread.
#pragma once

#include <memory>
#include <string>

#include <httplib.h>

#include "meridian/base/json.h"
#include "meridian/base/status.h"

namespace meridian::cli {

// "http://host:port" (no path, https not supported); InvalidArgument otherwise.
Status check_url(const std::string& url);
// The client keeps its connection alive and sets TCP_NODELAY on it (no
// Nagle/delayed-ACK stall between a request's head and body).
std::unique_ptr<httplib::Client> make_client(const std::string& url, const std::string& key, int timeout_s = 60);

// The JSON body of a 2xx answer; otherwise a Status: kNotFound for 404,
// kAlreadyExists for 409, kBusy for 429/503, kIOError for connection
// errors and other 5xx, kInvalidArgument for other 4xx, with the server's
// "reason" in the message.
Result<Json> json_result(const httplib::Result& r, const std::string& url);

// Percent-encodes a path segment (index names are safe already; ids may not be).
std::string url_escape(const std::string& s);

}  // namespace meridian::cli
