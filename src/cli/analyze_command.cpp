// `meridian analyze`: shows what the analysis pipeline makes of a text.
//
//   meridian analyze [--lang CODE] [--no-stem] [--stopwords] [--no-fold]
//                    [--keyword] [--json] [TEXT...]
//
// TEXT words are joined with single spaces; with no TEXT the text is read
// from stdin. Output: one token per line "position<TAB>start-end<TAB>token"
// (byte offsets into the text), or with --json one JSON array of
// {"token","position","start","end"}.
#include <cstdio>
#include <iostream>
#include <iterator>
#include <string>
#include <vector>

#include "commands.h"
#include "meridian/analysis/analyzer.h"
#include "meridian/base/json.h"

namespace meridian::cli {
namespace {

constexpr const char* kAnalyzeUsage =
    "usage: meridian analyze [--lang CODE] [--no-stem] [--stopwords] [--no-fold] [--keyword] [--json] "
    "[TEXT...]\n"
    "  --lang CODE   ISO 639-1 language (default en) or 'none'\n"
    "  --no-stem     no Snowball stemming\n"
    "  --stopwords   drop the language's stopwords (positions keep the gap)\n"
    "  --no-fold     keep accents (case folding always applies)\n"
    "  --keyword     the whole text as one token\n"
    "  --json        print a JSON array instead of lines\n"
    "  TEXT          the text; read from stdin when absent\n";

int usage_error(const std::string& msg) {
  std::fprintf(stderr, "meridian analyze: %s\n%s", msg.c_str(), kAnalyzeUsage);
  return 2;
}

// One "position<TAB>start-end<TAB>token" line per token, or a JSON array.
std::string format_tokens(const std::vector<analysis::Token>& tokens, bool json) {
  std::string out;
  if (!json) {
    for (const auto& t : tokens) {
      out += std::to_string(t.position) + '\t' + std::to_string(t.start) + '-' + std::to_string(t.end) +
             '\t' + t.text + '\n';
    }
    return out;
  }
  out += '[';
  for (size_t i = 0; i < tokens.size(); ++i) {
    const auto& t = tokens[i];
    if (i > 0) out += ',';
    out += "{\"token\":";
    append_json_string(&out, t.text);
    out += ",\"position\":" + std::to_string(t.position) + ",\"start\":" + std::to_string(t.start) +
           ",\"end\":" + std::to_string(t.end) + "}";
  }
  out += "]\n";
  return out;
}

}  // namespace

int cmd_analyze(const Args& args) {
  analysis::AnalyzerConfig cfg;
  bool json = false;
  std::string text;
  bool have_text = false;
  bool options_done = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (!options_done && a.size() > 1 && a[0] == '-') {
      if (a == "--") {
        options_done = true;
      } else if (a == "--help" || a == "-h") {
        std::fputs(kAnalyzeUsage, stdout);
        return 0;
      } else if (a == "--lang" || a == "--language") {
        if (i + 1 >= args.size()) return usage_error(a + " needs a value");
        cfg.language = args[++i];
      } else if (a.rfind("--lang=", 0) == 0) {
        cfg.language = a.substr(7);
      } else if (a == "--no-stem") {
        cfg.stem = false;
      } else if (a == "--stopwords") {
        cfg.stopwords = true;
      } else if (a == "--no-fold") {
        cfg.fold_accents = false;
      } else if (a == "--keyword") {
        cfg.keyword = true;
      } else if (a == "--json") {
        json = true;
      } else {
        return usage_error("unknown option '" + a + "'");
      }
      continue;
    }
    if (have_text) text += ' ';
    text += a;
    have_text = true;
  }
  if (!have_text) {
    text.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  }
  auto analyzer = analysis::Analyzer::create(cfg);
  if (!analyzer.is_ok()) return usage_error(analyzer.status().message());

  std::vector<analysis::Token> tokens;
  (*analyzer)->analyze(text, &tokens);
  std::string out = format_tokens(tokens, json);
  std::fwrite(out.data(), 1, out.size(), stdout);
  return std::fflush(stdout) == 0 ? 0 : 2;
}

}  // namespace meridian::cli
