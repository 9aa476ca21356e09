// Session: the state of one `meridian shell` (backend, current index,
// settings) and the execution of one line at a time. Output is returned as
// text so the caller decides between the terminal, a pager or a pipe.
// Errors come back as Status; the session stays usable after any of them.
//
// Ownership: owns its backend. Not thread-safe: the shell's one thread.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "shell_backend.h"
#include "shell_format.h"
#include "shell_parse.h"

namespace meridian::cli::shell {

class Session {
 public:
  Session(std::unique_ptr<ShellBackend> backend, bool color);

  // Runs one line, appending what it prints to *out (also on error: the
  // part done before it failed).
  Status run(const std::string& line, std::string* out);
  bool quit_requested() const { return quit_; }

  // Makes `name` the current index (NotFound if it does not exist).
  Status use(const std::string& name);
  const std::string& current() const { return index_; }
  const ShellBackend& backend() const { return *backend_; }

  // For completion; cached, refreshed by \l, \c and \import.
  const std::vector<std::string>& index_names();
  const std::vector<std::string>& field_names() const { return fields_; }

 private:
  Status search(const ParsedLine& line, std::string* out);
  Status command(const ParsedLine& line, std::string* out);
  Status list(std::string* out);
  Status describe(const std::string& name, std::string* out);
  Status analyze(const std::string& text, std::string* out);
  Status import_file(const std::string& file, std::string* out);
  Status show_sources(std::string* out);
  Status show_cluster(std::string* out);
  Status schema(const std::string& arg, std::string* out);
  Status index_settings(const std::string& arg, std::string* out);
  Status alias(const std::string& arg, std::string* out);
  Status toggle(bool* flag, const std::string& arg, const char* name, std::string* out);
  std::string help() const;
  RenderOptions render_options() const;

  std::unique_ptr<ShellBackend> backend_;
  bool color_;
  bool quit_ = false;
  std::string index_;
  Settings settings_;
  Format format_ = Format::kTable;
  bool timing_ = true;
  std::optional<bool> highlight_;  // \highlight on/off; unset = auto (table format only)
  std::vector<std::string> columns_;  // \fields; empty = automatic
  std::vector<std::string> indexes_;
  bool indexes_loaded_ = false;
  std::vector<std::string> fields_;  // of the current index
};

}  // namespace meridian::cli::shell
