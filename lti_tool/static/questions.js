/* The questionnaire's questions built in the page (served as a file: strict CSP).
   The form still sends the textarea the server reads (a question line, one choice per line, the right one
   starting with "*", a blank line between questions): the builder writes it on every change, so the page works
   the same without script. Labels come from the textarea's data-labels (translated by the server). */
(function () {
  "use strict";

  function parse(text) {
    return text.replace(/\r/g, "").split(/\n\s*\n/).filter(function (block) { return block.trim(); })
      .map(function (block) {
        var lines = block.split("\n").map(function (line) { return line.trim(); }).filter(Boolean);
        var question = { prompt: lines[0] || "", choices: [], answer: -1 };
        lines.slice(1).forEach(function (line) {
          if (line.charAt(0) === "*") {
            question.answer = question.choices.length;
            line = line.slice(1);
          }
          question.choices.push(line.replace(/^-/, "").trim());
        });
        return question;
      });
  }

  function format(questions) {
    return questions.filter(function (q) { return q.prompt.trim(); }).map(function (q) {
      return [q.prompt.trim()].concat(q.choices.filter(function (c) { return c.trim(); }).map(function (c, i) {
        return (i === q.answer ? "* " : "- ") + c.trim();
      })).join("\n");
    }).join("\n\n");
  }

  function element(tag, attributes, text) {
    var node = document.createElement(tag);
    Object.keys(attributes || {}).forEach(function (name) { node.setAttribute(name, attributes[name]); });
    if (text) { node.textContent = text; }
    return node;
  }

  function build(textarea) {
    var labels = JSON.parse(textarea.getAttribute("data-labels") || "{}");
    var questions = parse(textarea.value);
    var root = element("div", { "class": "question-builder" });
    var list = element("div");
    var counter = 0;
    root.appendChild(list);
    var addQuestion = element("button", { type: "button", "class": "secondary" }, labels.add_question);
    root.appendChild(addQuestion);

    function save() { textarea.value = format(questions); }

    function render() {
      list.textContent = "";
      questions.forEach(function (question, index) {
        var id = "q" + (++counter);
        var box = element("fieldset", { "class": "card question" });
        box.appendChild(element("legend", {}, labels.question + " " + (index + 1)));
        var promptId = id + "-prompt";
        box.appendChild(element("label", { "for": promptId }, labels.prompt));
        var prompt = element("input", { type: "text", id: promptId, maxlength: "500" });
        prompt.value = question.prompt;
        prompt.addEventListener("input", function () { question.prompt = prompt.value; save(); });
        box.appendChild(prompt);
        question.choices.forEach(function (choice, position) {
          var row = element("div", { "class": "row choice" });
          var right = element("input", { type: "radio", name: id + "-right", id: id + "-right-" + position });
          right.checked = question.answer === position;
          right.addEventListener("change", function () { question.answer = position; save(); });
          row.appendChild(right);
          row.appendChild(element("label", { "for": id + "-right-" + position, "class": "hint" }, labels.right));
          var text = element("input", { type: "text", maxlength: "300", "aria-label": labels.choice + " " + (position + 1) });
          text.value = choice;
          text.addEventListener("input", function () { question.choices[position] = text.value; save(); });
          row.appendChild(text);
          var remove = element("button", { type: "button", "class": "secondary",
                                            "aria-label": labels.remove + " : " + labels.choice + " " + (position + 1) }, "×");
          remove.addEventListener("click", function () {
            question.choices.splice(position, 1);
            if (question.answer === position) { question.answer = -1; }
            else if (question.answer > position) { question.answer -= 1; }
            save(); render();
          });
          row.appendChild(remove);
          box.appendChild(row);
        });
        var addChoice = element("button", { type: "button", "class": "secondary" }, labels.add_choice);
        addChoice.addEventListener("click", function () {
          question.choices.push(""); save(); render();
          var inputs = list.querySelectorAll("fieldset")[index].querySelectorAll("input[type=text]");
          inputs[inputs.length - 1].focus();
        });
        var removeQuestion = element("button", { type: "button", "class": "secondary" }, labels.remove_question);
        removeQuestion.addEventListener("click", function () { questions.splice(index, 1); save(); render(); });
        var actions = element("p", { "class": "row" });
        actions.appendChild(addChoice);
        actions.appendChild(removeQuestion);
        box.appendChild(actions);
        list.appendChild(box);
      });
    }

    addQuestion.addEventListener("click", function () {
      questions.push({ prompt: "", choices: ["", ""], answer: 0 });
      save(); render();
      var prompts = list.querySelectorAll("fieldset input[type=text]");
      var boxes = list.querySelectorAll("fieldset");
      boxes[boxes.length - 1].querySelector("input[type=text]").focus();
      return prompts;
    });
    render();
    var field = textarea.closest(".field");
    field.insertBefore(root, textarea);
    textarea.hidden = true;
    var hint = document.getElementById(textarea.id + "-hint");
    if (hint) { hint.hidden = true; }
  }

  function init() {
    Array.prototype.forEach.call(document.querySelectorAll("textarea[data-questions-builder]"), build);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
